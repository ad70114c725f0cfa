import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_upload(name: str = "avatar.png", image_format: str = "PNG", size=(8, 8)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def login(api_client, email: str, password: str):
    return api_client.post("/api/v1/auth/token/", {"email": email, "password": password})


def bearer(client, access: str):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client
