from ninja import NinjaAPI

api = NinjaAPI(title="一门 Yimen API", version="1", urls_namespace="api-v1")
