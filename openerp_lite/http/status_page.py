"""placeholder"""

PATH = '/web/status'


def handle(call):
    from .request_body import text

    return text(call.start_response, '404 Not Found', 'No handler found for %s.\n' % PATH)
