DROP TABLE api_failure_buckets;
