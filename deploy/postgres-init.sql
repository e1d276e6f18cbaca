-- Prefect's own database next to the registry (POSTGRES_DB=caserobot) on first start.
CREATE DATABASE prefect OWNER caserobot;
