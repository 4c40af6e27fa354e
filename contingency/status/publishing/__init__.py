"""Publishing the status page's static bundle to targets that stay up when this server is down."""
