-- Placeholder: number 0010 is reserved for the pulse migration, built on another branch.
-- When that branch lands, delete this file; 0011_consult.sql then follows it directly.
SELECT 1;
