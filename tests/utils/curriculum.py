"""A small curriculum for service tests: three skills in a chain plus a multi-skill item."""

from __future__ import annotations

SMALL_CURRICULUM = """\
format_version: 1
id: test-fractions
name: Test fractions
units:
  - id: u1
    name: Fractions
    skills: [equiv, add, mul]
skills:
  - id: equiv
    name: Equivalent fractions
    grade_band: "4"
  - id: add
    name: Adding fractions
    grade_band: "5"
    requires: [equiv]
  - id: mul
    name: Multiplying fractions
    grade_band: "5"
    requires: [add]
items:
  - {id: eq1, skills: [equiv], type: fraction, prompt: "1/2 = ?/4", answer: {value: "2/4"}}
  - {id: eq2, skills: [equiv], type: numeric, prompt: "2/4 as a decimal", answer: {value: 0.5}}
  - id: eq3
    skills: [equiv]
    type: multiple_choice
    prompt: "Which equals 1/3?"
    answer: {choices: ["2/6", "2/5", "1/6"], correct: "2/6"}
    solution: "Multiply top and bottom by 2."
  - {id: ad1, skills: [add], type: fraction, prompt: "1/4 + 1/4", answer: {value: "1/2"}}
  - {id: ad2, skills: [add], type: numeric, prompt: "0.25 + 0.5", answer: {value: 0.75}}
  - {id: ad3, skills: [add, equiv], type: fraction, prompt: "1/3 + 1/6", answer: {value: "1/2"}}
  - {id: mu1, skills: [mul], type: fraction, prompt: "1/2 * 1/2", answer: {value: "1/4"}}
  - {id: mu2, skills: [mul], type: numeric, prompt: "0.5 * 4", answer: {value: 2}}
  - id: mu3
    skills: [mul]
    type: short_text
    prompt: "Name for a/b * b/a"
    answer: {accepted: ["one", "1"]}
"""

ITEM_CSV = """\
item_id,skill_ids,type,prompt,answer
csv1,add,numeric,0.5 + 0.25,0.75
csv2,mul,fraction,1/3 * 3/4,1/4
"""

BAD_ITEM_CSV = """\
item_id,skill_ids,type,prompt,answer
csv3,add,numeric,0.5 + 0.25,0.75
csv4,nosuchskill,fraction,1/3 * 3/4,1/4
"""

# Right answers per item, for simulated students.
RIGHT = {
    "eq1": "2/4",
    "eq2": "0.5",
    "eq3": "2/6",
    "ad1": "1/2",
    "ad2": "0.75",
    "ad3": "1/2",
    "mu1": "1/4",
    "mu2": "2",
    "mu3": "one",
    "csv1": "0.75",
    "csv2": "1/4",
}
WRONG = {k: "7/9" if k not in ("eq3", "mu3") else "1/6" for k in RIGHT}
WRONG["mu3"] = "zero"
