"""Cross-cutting helpers shared by every stage: logging configuration and compression."""
