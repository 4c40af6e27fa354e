"""The notification pages: who has been reached on the incident page, the acknowledgement page, the preview."""
