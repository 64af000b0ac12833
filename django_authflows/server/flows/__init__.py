"""One module per flow: the oauthlib validator rules each flow adds."""
