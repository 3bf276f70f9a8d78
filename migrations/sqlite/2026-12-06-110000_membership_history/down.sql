DROP TABLE membership_changes;
