"""The shop's bank settings as Settings reads them; what `serve` does with a bad one is
tests/e2e/test_bank_settings.py's."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from order_service.settings import Settings


def test_a_reference_that_does_not_hold_the_order_number_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(bank_reference="Our shop")

    (error,) = refused.value.errors()
    assert error["loc"] == ("bank_reference",)
    assert "must hold {number} exactly once" in error["msg"]


def test_blank_bank_settings_read_as_unset_as_an_empty_docker_variable_means() -> None:
    settings = Settings(bank_account_holder="", bank_iban=" ", bank_bic="", bank_name="")

    assert settings.transfer_terms().account is None
