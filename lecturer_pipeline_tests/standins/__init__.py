"""Local stand-ins for the remote model services, speaking each service's real protocol on 127.0.0.1."""
