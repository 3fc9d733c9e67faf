// Tests never see DATABASE_URL, so no test run can touch a real journal.
delete process.env.DATABASE_URL;
