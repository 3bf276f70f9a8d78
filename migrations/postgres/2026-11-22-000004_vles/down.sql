DELETE FROM role_permissions WHERE permission = 'institution.manage';
DROP TABLE vles;
