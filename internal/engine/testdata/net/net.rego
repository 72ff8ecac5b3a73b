package main

deny contains msg if {
	resp := http.send({"method": "GET", "url": "https://example.com"})
	msg := sprintf("got %v", [resp.status_code])
}
