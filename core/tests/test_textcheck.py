import unicodedata

from core.textcheck import control_character


def test_control_characters_are_exactly_unicodes_cc_category_tab_cr_lf_allowed_in_values():
    for code in range(0x10000):
        char = chr(code)
        control = unicodedata.category(char) == "Cc"
        assert (control_character(f"a{char}b", allow_whitespace=False) == char) == control, hex(code)
        assert (control_character(f"a{char}b") == char) == (control and char not in "\t\n\r"), hex(code)
