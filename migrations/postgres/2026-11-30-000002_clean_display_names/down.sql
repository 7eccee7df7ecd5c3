-- The hidden characters removed by up.sql are not put back.
SELECT 1;
