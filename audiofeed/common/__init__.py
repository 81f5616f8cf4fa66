"""Foundation shared by every stage: memos, code stamp, paths, text hygiene, atomic files."""
