"""Folding names, UAI check letters, provisional passwords, argon2 hashes and sealing."""
import pytest
from cryptography.exceptions import InvalidTag

from directory.names import fold, identifier_stem, search_keys, sort_name
from directory.passwords import (PROVISIONAL_ALPHABET, PasswordHasher, Sealer, provisional_password)
from directory.uai import is_valid_uai, normalize_uai


@pytest.mark.parametrize("name,folded", [("Zoé", "zoe"), ("N'Diaye", "ndiaye"), ("Le Goff", "legoff"),
                                         ("Müller-Lüdenscheidt", "mullerludenscheidt"),
                                         ("de La Tour d'Auvergne", "delatourdauvergne"), ("Œdipe", "oedipe")])
def test_fold(name, folded):
    assert fold(name) == folded


def test_search_keys_cover_both_orders():
    assert search_keys("Zoé", "Le Goff") == ["legoffzoe", "zoelegoff"]


def test_sort_name_orders_as_a_french_reader_expects():
    names = [("Mohamed", "Aït Ouali"), ("Léa", "Arnaud"), ("Inès", "André"), ("Zoé", "Ménard"), ("Paul", "Michel")]
    ordered = sorted(names, key=lambda n: sort_name(*n))
    assert [surname for _, surname in ordered] == ["Aït Ouali", "André", "Arnaud", "Ménard", "Michel"]


def test_identifier_stem():
    assert identifier_stem("Jean-Éric", "N'Diaye") == "jeaneric.ndiaye"


@pytest.mark.parametrize("uai", ["0450750W", "0990001N", "0990002P", "0990003R"])
def test_valid_uais(uai):
    assert is_valid_uai(uai)


@pytest.mark.parametrize("uai", ["0990001A", "099000N", "0990001n", "", "09900011N", "*", None])
def test_invalid_uais(uai):
    assert not is_valid_uai(uai)


def test_normalize_uai():
    assert normalize_uai(" 0990001n ") == "0990001N"
    assert normalize_uai("0990001A") is None


def test_provisional_password_shape():
    for _ in range(200):
        password = provisional_password()
        assert len(password) == 8 and set(password) <= set(PROVISIONAL_ALPHABET)
    assert not set("0O1IL") & set(PROVISIONAL_ALPHABET)


def test_argon2_hash_is_in_slapd_form_and_verifies():
    hasher = PasswordHasher(time_cost=1, memory_cost=1024)
    stored = hasher.hash("PT4HUMM2")
    assert stored.startswith("{ARGON2}$argon2id$v=19$m=1024,t=1,p=1$")
    assert hasher.verify(stored, "PT4HUMM2")
    assert not hasher.verify(stored, "PT4HUMM3")


def test_sealed_password_opens_for_its_account_only():
    sealer = Sealer(bytes(32))
    sealed = sealer.seal("PT4HUMM2", "account-1")
    assert b"PT4HUMM2" not in sealed
    assert sealer.open(sealed, "account-1") == "PT4HUMM2"
    with pytest.raises(InvalidTag):
        sealer.open(sealed, "account-2")
