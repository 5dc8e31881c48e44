"""The HTTP service: vendor webhook ingress, contracts API, inbound log."""
