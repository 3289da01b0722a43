"""API of the account's life that spans every app: deletion and the data export."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import validated
from ops import account_deletion, export_request


class AccountDeleteApi(APIView):
    """Delete the creator's account (GDPR art. 17), confirmed with the password: Stripe closed
    first, then every row; only the payments tax law requires are kept, with nothing personal."""

    class DeleteInput(serializers.Serializer):
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(request=DeleteInput, responses={204: None})
    def post(self, request):
        data = validated(self.DeleteInput, request.data)
        account_deletion.account_delete(user=request.user, password=data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountExportApi(APIView):
    """Ask for an export of everything held about the creator (GDPR art. 20): a ZIP built by a
    job, its download link emailed. Not metered."""

    @extend_schema(request=None, responses={202: inline_serializer("ExportAccepted", {"id": serializers.IntegerField()})})
    def post(self, request):
        found = export_request.data_export_request(user=request.user)
        return Response({"id": found.pk}, status=status.HTTP_202_ACCEPTED)
