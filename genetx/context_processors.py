from django.conf import settings


def site(request):
    """Values every page template needs: the site's name and the canonical URL base."""
    return {"site_name": settings.SITE_NAME}
