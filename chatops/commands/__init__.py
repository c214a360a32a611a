"""Commands declared once: parsed from text everywhere, rendered as native commands where possible."""
