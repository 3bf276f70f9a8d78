DELETE FROM role_permissions WHERE permission = 'groups.self_enroll';
