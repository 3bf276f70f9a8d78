DROP TABLE id_key_users;
DROP TABLE id_key_apps;
