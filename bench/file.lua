-- wrk script: files a ticket per request as the enterprise whose token is in $TOKEN.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.body = string.format(
  '{"kind":"problem","category_id":"%s","title":"压测：新厂房用电报装进度慢","description":"二号厂房已完工，申请 800kVA 专变报装两周仍未现场勘查，影响设备调试。"}',
  os.getenv("CATEGORY"))
