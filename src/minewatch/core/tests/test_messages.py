"""Engine and service messages reach a person in their language (core.messages)."""

from __future__ import annotations

import pytest
from django.utils import translation

from minewatch.core.errors import InvalidInput
from minewatch.core.messages import translate_message
from minewatch.incidents.validation import check_counts


def refusal(call, *args) -> InvalidInput:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as caught:
        call(*args)
    return caught.value


def test_an_engine_message_is_translated_with_its_values() -> None:
    error = refusal(check_counts, {"assailants_min": 9, "assailants_max": 2})
    assert error.message == "assailants_min (9) is greater than assailants_max (2)"  # the API's
    with translation.override("es"):
        assert (
            error.text
            == "Número mínimo de agresores (9) es mayor que número máximo de agresores (2)."
        )
    with translation.override("en"):
        assert (
            error.text
            == "Minimum number of assailants (9) is greater than maximum number of assailants (2)."
        )


@pytest.mark.parametrize(
    ("english", "spanish"),
    [
        ("point (40.0, -3.7) is outside Peru's bounding box", "El punto (40.0, -3.7) está fuera del Perú."),
        ("your role cannot manage users", "Su rol no permite administrar usuarios."),
        ("unknown site 42", "No existe o no es visible — sede: 42."),
        ("the file is 30.5 MB; the upload limit is 25 MB", "El archivo pesa 30.5 MB; el límite de subida es 25 MB."),
        ("file refused: ZIP archives are not accepted and never unpacked: upload each file on its own",
         "No se aceptan archivos ZIP: suba cada archivo por separado."),
        ("is in the future", "Está en el futuro."),
        ("file refused: declared photo, but the content is text (plain text); a photo must be "
         "one of: gif, heic, jpeg", "El archivo se declaró como fotografía pero su contenido es texto "
         "plano; se aceptan: GIF, HEIC, JPEG."),
        ("a ladder needs at least one step", "Una escalera de escalamiento necesita al menos un paso."),
    ],
)  # fmt: skip
def test_known_messages_in_spanish(english: str, spanish: str) -> None:
    with translation.override("es"):
        assert translate_message(english) == spanish


def test_an_unknown_message_is_left_as_it_came() -> None:
    with translation.override("es"):
        assert translate_message("Ya traducido por el servicio.") == "Ya traducido por el servicio."
