"""Discord glue only: app commands, views and modals. Rules, SQL and scheduling live in bot/."""
