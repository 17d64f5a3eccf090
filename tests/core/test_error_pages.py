"""403, 404 and 500 are pages in the layout, in Chinese, saying what happened and where to go."""

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error

from ..conftest import login

pytestmark = pytest.mark.django_db


def test_404_is_a_chinese_page_in_the_layout(client, cw_baisha):
    r = login(client, cw_baisha).get("/no-such-page/")
    body = r.content.decode()
    assert r.status_code == 404
    assert 'data-testid="error-404"' in body and "页面不存在" in body
    assert "whoami" in body  # the layout, with the user's header
    assert "Traceback" not in body


def test_403_says_why_in_chinese(client, va_baisha):
    r = login(client, va_baisha).get("/payroll/")  # a village assistant has no payroll
    body = r.content.decode()
    assert r.status_code == 403
    assert 'data-testid="error-403"' in body and "数据管理员" in body


def test_500_is_a_plain_chinese_page_that_needs_no_request_context():
    request = RequestFactory().get("/")
    r = server_error(request)
    body = r.content.decode()
    assert r.status_code == 500
    assert 'data-testid="error-500"' in body and "系统出错" in body
