"""The stable error codes of the review app: what API clients, the admin and tests match on, never the Chinese text."""

from enum import StrEnum


class ReviewErrorCode(StrEnum):
    """Every code the review app raises; a member equals its string, so the API answers the same text."""

    # What blocks an approval (review.rules, the approval guard registered with applications)
    CHECKLIST_INCOMPLETE = "checklist_incomplete"  # 核准制: a checklist item not recorded as passed
    NOT_ENOUGH_SCORES = "not_enough_scores"  # 评审制: fewer submitted experts than the program's minimum
    # 评审制: the experts' mean under the program's pass mark (S105: a code, not a password)
    BELOW_PASS_MARK = "below_pass_mark"  # noqa: S105
    # 核实: the verification checklist
    NOT_ACCEPTED = "not_accepted"  # the application is not in review (accepted): record, assign or score
    UNKNOWN_ITEM = "unknown_item"  # a checklist item of another program
    # 专家评审: assigning experts (a refused pair's outcome code)
    NOT_EXPERT_REVIEW = "not_expert_review"  # the program is 核准制: no experts
    NOT_AN_EXPERT = "not_an_expert"  # not an active user in the 评审专家 group
    EXPERT_AFFILIATED = "expert_affiliated"  # the expert declared the organisation's USCC, or is its member
    # 专家评审: scoring
    CONFLICT_NOT_CONFIRMED = "conflict_not_confirmed"  # scores before the no-conflict declaration
    SCORES_FINAL = "scores_final"  # scores already submitted
    UNKNOWN_CRITERION = "unknown_criterion"  # a criterion of another program
    SCORE_REQUIRED = "score_required"
    SCORE_INVALID = "score_invalid"  # not a finite number with at most 2 decimals
    SCORE_OUT_OF_RANGE = "score_out_of_range"  # below 0 or above the criterion's full marks
