"""``POST /api/token/``: a username and password for a token that expires."""

from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import throttle
from accounts.forms import lockout_message
from accounts.tokens import expires_at, issue_token


class TokenRequestSerializer(AuthTokenSerializer):
    def validate(self, attrs):
        request = self.context["request"]
        username, password = attrs.get("username"), attrs.get("password")
        user = authenticate(request=request, username=username, password=password)
        if user is None:
            remaining = throttle.lockout(username, throttle.client_ip(request), now=timezone.now())
            if remaining is not None:
                raise exceptions.Throttled(wait=remaining.total_seconds(), detail=lockout_message(remaining))
            raise serializers.ValidationError(
                _("Unable to log in with provided credentials."), code="authorization"
            )
        attrs["user"] = user
        return attrs


class ObtainTokenView(APIView):
    # Exchanging a username and password for a token needs no prior authentication.
    authentication_classes = []
    permission_classes = []
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=TokenRequestSerializer,
        responses=inline_serializer(
            "IssuedToken", {"token": serializers.CharField(), "expires": serializers.DateTimeField()}
        ),
    )
    def post(self, request):
        serializer = self.serializer_class(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token = issue_token(serializer.validated_data["user"], now=timezone.now())
        return Response({"token": token.key, "expires": expires_at(token)})
