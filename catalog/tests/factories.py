import io
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.tests.factories import UserFactory, approved_store_for
from catalog.models import Brand, Category, Product, ProductImage
from catalog.services import product_changed, search_terms_add


class _NamedFactory(factory.django.DjangoModelFactory):
    """Records the name's words for typo correction, as the services do."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        instance = super()._create(model_class, *args, **kwargs)
        search_terms_add(names=[instance.name])
        return instance


def make_image_file(name="photo.png", size=(32, 32), fmt="PNG", color=(200, 80, 80)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}[fmt]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


class CategoryFactory(_NamedFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class BrandFactory(_NamedFactory):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = "A product."
    price = Decimal("19.99")
    category = factory.SubFactory(CategoryFactory)
    brand = factory.SubFactory(BrandFactory)
    stock_quantity = 10
    created_by = factory.SubFactory(UserFactory, is_seller=True)
    # The creator's store (staff who create products get one too); a test may pass another.
    store = factory.LazyAttribute(
        lambda o: (
            approved_store_for(o.created_by) if o.created_by else approved_store_for(UserFactory())
        )
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Like the services, store the effective price the other fields give (unless a
        # test sets current_price itself, e.g. to fake a stale row).
        if "current_price" not in kwargs:
            for name in ("price", "discount_percent"):
                kwargs[name] = model_class._meta.get_field(name).to_python(kwargs.get(name))
            probe = model_class(**kwargs)
            probe.set_current_price()
            kwargs["current_price"] = probe.current_price
        product = super()._create(model_class, *args, **kwargs)
        # The search document (and name words), as the services write them.
        product_changed(product=product)
        return product


class ProductImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.LazyFunction(make_image_file)
