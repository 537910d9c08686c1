"""HTTP hygiene, in one place: body limits, conditional GET, rate limits, client address behind trusted
proxies, failed-key throttling, CORS for public reads, security headers, load shedding, request metrics
and the one JSON error shape. `stack.install_http` puts them on the app in their order."""
