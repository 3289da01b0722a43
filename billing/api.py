"""Billing's JSON API: start Checkout, open the portal, cancel at period end, resume."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.services import checkout
from core.api import ServiceCheckedCharField, validated

_URL_OUTPUT = inline_serializer("BillingUrlOutput", {"url": serializers.URLField()})
_STATE_OUTPUT = inline_serializer(
    "SubscriptionStateOutput",
    {"plan": serializers.CharField(), "status": serializers.CharField(), "cancel_at_period_end": serializers.BooleanField(),
     "current_period_end": serializers.DateTimeField(allow_null=True)},
)


class CheckoutApi(APIView):
    class CheckoutInput(serializers.Serializer):
        plan = ServiceCheckedCharField(documented={"enum": list(checkout.PAID_PLANS)})
        interval = ServiceCheckedCharField(default="month", documented={"enum": list(checkout.INTERVALS)})

    @extend_schema(request=CheckoutInput, responses={200: _URL_OUTPUT})
    def post(self, request):
        data = validated(self.CheckoutInput, request.data)
        url = checkout.checkout_start(
            user=request.user, plan_code=data["plan"], interval=data["interval"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return Response({"url": url})


class PortalApi(APIView):
    @extend_schema(request=None, responses={200: _URL_OUTPUT})
    def post(self, request):
        return Response({"url": checkout.portal_start(user=request.user)})


def _state(entitlement):
    return {
        "plan": entitlement.plan_id, "status": entitlement.status,
        "cancel_at_period_end": entitlement.cancel_at_period_end, "current_period_end": entitlement.current_period_end,
    }


class CancelApi(APIView):
    @extend_schema(request=None, responses={200: _STATE_OUTPUT})
    def post(self, request):
        return Response(_state(checkout.subscription_set_cancel_at_period_end(
            user=request.user, cancel=True, intent_key=request.headers.get("Idempotency-Key")
        )))


class ResumeApi(APIView):
    @extend_schema(request=None, responses={200: _STATE_OUTPUT})
    def post(self, request):
        return Response(_state(checkout.subscription_set_cancel_at_period_end(
            user=request.user, cancel=False, intent_key=request.headers.get("Idempotency-Key")
        )))
