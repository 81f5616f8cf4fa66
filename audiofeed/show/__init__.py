"""The show: config.toml and episode files -> frozen dataclasses, validated; front-matter edits."""
