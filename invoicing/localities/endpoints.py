from __future__ import annotations

from fastapi import APIRouter

from invoicing.localities import service
from invoicing.localities.schemas import LocalityList, LocalityRead
from invoicing.problems import problem_responses

router = APIRouter(prefix="/v1/localities", tags=["localities"])


@router.get("/provinces", response_model=LocalityList)
def list_provinces() -> LocalityList:
    return LocalityList(data=[LocalityRead(code=p.code, name=p.name) for p in service.list_provinces()])


@router.get("/provinces/{code}/wards", response_model=LocalityList, responses=problem_responses(404))
def list_wards(code: str) -> LocalityList:
    return LocalityList(data=[LocalityRead(code=w.code, name=w.name) for w in service.list_wards(code)])
