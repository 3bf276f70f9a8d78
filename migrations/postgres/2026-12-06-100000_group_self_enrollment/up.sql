-- groups.self_enroll (a learner joining or leaving a group of a self-enrollment category
-- through our API or console) is held by the learner roles (those AutoEnroll places) and by
-- Administrators, which hold every permission. New institutions get it from the default
-- roles; existing ones get it here.
INSERT INTO role_permissions (role_id, permission)
SELECT id, 'groups.self_enroll' FROM roles
WHERE (can_be_auto_enrolled
       OR id IN (SELECT role_id FROM role_permissions WHERE permission = 'institution.manage'))
  AND id NOT IN (SELECT role_id FROM role_permissions WHERE permission = 'groups.self_enroll');
