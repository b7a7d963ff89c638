"""``python -m pixcrawler`` runs the CLI."""

from pixcrawler.cli import main

main()
