//! OAuth clients (`oauth_clients`): registered, looked up, revoked.
