"""The static report (``sqlfix report``): sections of text, tables and figures rendered as one HTML file
with its images embedded, so it can be mailed, attached to a job run or opened from a Volume."""
