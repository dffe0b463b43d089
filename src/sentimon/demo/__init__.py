"""`sentimon demo`: the alert drill, from calm to firing to resolved."""
