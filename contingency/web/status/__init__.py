"""The status page: its management page for members, the public page and files, and the subscription links."""
