"""/api/dci/v1/: the registry API for other systems (DCI social-registry shape) and its OAuth2
token endpoint (client credentials only: RegistryOAuth2Validator)."""

from django.urls import path

from .token import RegistryTokenView
from .views import SearchView, SubscribeView, TxnStatusView, UnsubscribeView

urlpatterns = [
    path("oauth2/token/", RegistryTokenView.as_view(), name="dci-token"),
    path("registry/sync/search/", SearchView.as_view(), name="dci-search"),
    path("registry/subscribe/", SubscribeView.as_view(), name="dci-subscribe"),
    path("registry/unsubscribe/", UnsubscribeView.as_view(), name="dci-unsubscribe"),
    path("registry/txn/status/", TxnStatusView.as_view(), name="dci-txn-status"),
]
