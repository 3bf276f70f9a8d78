DELETE FROM role_permissions WHERE permission = 'orgunits.read';
