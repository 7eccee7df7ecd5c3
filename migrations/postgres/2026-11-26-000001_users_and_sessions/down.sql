DROP TABLE sessions;
DROP TABLE identities;
DROP TABLE users;
