"""The reports of a run (JSON, JUnit, HTML, Markdown) and the text summary, all from one redacted dict."""
