DROP TABLE audit_events;
DROP TABLE join_requests;
DROP TABLE memberships;
DROP TABLE organizations;
