DROP TABLE officer_passkeys;
