-- wrk script: GETs $READ_PATH (a ticket with its timeline, or a list page) with $TOKEN.
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.path = os.getenv("READ_PATH")
