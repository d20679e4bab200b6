"""Operations: backup and restore of a whole installation (database + attachments). No models."""
