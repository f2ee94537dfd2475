"""The browsable API under the portal's Content-Security-Policy."""

from typing import Any

from csp.constants import UNSAFE_INLINE
from rest_framework.renderers import BrowsableAPIRenderer


class PortalBrowsableAPIRenderer(BrowsableAPIRenderer):
    """DRF's own page puts layout in style="" attributes (floats, margins); its scripts are files already.

    Only those attributes are allowed (style-src-attr), on these pages only: no inline <style> element, no inline
    script.
    """

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        response = (renderer_context or {}).get("response")
        if response is not None:
            response._csp_update = {"style-src-attr": [UNSAFE_INLINE]}
        return super().render(data, accepted_media_type, renderer_context)
