namespace CrmEtl.Sandbox.Tests;

/// <summary>An example response printed in Kommo's API v4 docs, with the JSON Schema file it must pass.</summary>
public sealed record KommoDocExample(string Schema, string Doc, string Section, string Json)
{
    public override string ToString() => $"{Doc}, {Section}";
}

/// <summary>
/// The example responses of the endpoints the Kommo sandbox serves, copied from the vendor's docs
/// (shared/api-specs/kommo-v4-docs) as printed. Where the printed JSON is broken, the one fix is marked.
/// </summary>
public static class KommoDocExamples
{
    public static readonly IReadOnlyList<KommoDocExample> All =
    [
        new("leads.json", "leads-api.md", "Список сделок", LeadsListExample),
        new("lead.json", "leads-api.md", "Получение сделки по ID", LeadExample),
        new("pipelines.json", "leads_pipelines.md", "Список воронок сделок", PipelinesExample),
        new("pipeline.json", "leads_pipelines.md", "Получение воронки сделок по ID", PipelineExample),
        new("statuses.json", "leads_pipelines.md", "Список статусов воронки сделок", StatusesExample),
        new("status.json", "leads_pipelines.md", "Получение статуса воронки сделок по ID", StatusExample),
        new("events.json", "events-and-notes.md", "Список событий", EventsExample),
        new("event.json", "events-and-notes.md", "Получение события по ID", EventExample),
        new("notes.json", "events-and-notes.md", "Список примечаний по типу сущности", NotesByEntityTypeExample),
        new("notes.json", "events-and-notes.md", "Список примечаний по конкретной сущности, по ID сущности", NotesOfEntityExample),
        new("note.json", "events-and-notes.md", "Получение примечания по ID", NoteExample),
        new("contacts.json", "contacts-api.md", "Список контактов", ContactsExample),
        new("contact.json", "contacts-api.md", "Получение контакта по ID", ContactExample),
        new("companies.json", "companies-api.md", "Список компаний", CompaniesExample),
        new("company.json", "companies-api.md", "Получение компании по ID", CompanyExample),
        new("users.json", "users-api.md", "Список пользователей", UsersExample),
        new("user.json", "users-api.md", "Получение пользователя по ID", UserExample),
        new("tasks.json", "tasks-api.md", "Список задач", TasksExample),
        new("task.json", "tasks-api.md", "Получение задачи по ID", TaskExample),
        new("custom_fields.json", "custom-fields.md", "Список полей сущности", CustomFieldsExample),
        new("custom_field.json", "custom-fields.md", "Получение поля сущности по его ID", CustomFieldExample),
        new("account.json", "account-info.md", "Параметры аккаунта", AccountExample),
        new("oauth_token.json", "step-by-step.md", "Обмен кода авторизации на access token и refresh token", TokenByCodeExample),
        new("oauth_token.json", "step-by-step.md", "Получение нового access token по его истечении", TokenByRefreshExample),
        new("problem.json", "error-codes.md", "Пример ошибки валидации данных", ValidationErrorExample),
        new("contacts_added.json", "contacts-api.md", "Добавление контактов", ContactsAddedExample),
        new("contacts_updated.json", "contacts-api.md", "Редактирование контактов", ContactsUpdatedExample),
        new("companies_added.json", "companies-api.md", "Добавление компаний", CompaniesAddedExample),
        new("companies_updated.json", "companies-api.md", "Редактирование компаний", CompaniesUpdatedExample),
        new("leads_added.json", "leads-api.md", "Добавление сделок", LeadsAddedExample),
        new("leads_complex.json", "leads-api.md", "Комплексное добавление сделок с контактом и компанией", LeadsComplexExample),
        new("leads_updated.json", "leads-api.md", "Редактирование сделок", LeadsUpdatedExample),
        new("tasks_added.json", "tasks-api.md", "Добавление задач", TasksAddedExample),
        new("notes_added.json", "events-and-notes.md", "Добавление примечаний", NotesAddedExample),
    ];

    private const string LeadsListExample = """
        {
            "_page": 2,
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/leads?limit=2&page=2"
                },
                "next": {
                    "href": "https://example.amocrm.ru/api/v4/leads?limit=2&page=3"
                },
                "first": {
                    "href": "https://example.amocrm.ru/api/v4/leads?limit=2&page=1"
                },
                "prev": {
                    "href": "https://example.amocrm.ru/api/v4/leads?limit=2&page=1"
                }
            },
            "_embedded": {
                "leads": [
                    {
                        "id": 19619,
                        "name": "Сделка для примера",
                        "price": 46333,
                        "responsible_user_id": 123321,
                        "group_id": 625,
                        "status_id": 142,
                        "pipeline_id": 1300,
                        "loss_reason_id": null,
                        "source_id": null,
                        "created_by": 321123,
                        "updated_by": 321123,
                        "created_at": 1453279607,
                        "updated_at": 1502193501,
                        "closed_at": 1483005931,
                        "closest_task_at": null,
                        "is_deleted": false,
                        "custom_fields_values": null,
                        "score": null,
                        "account_id": 5135160,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/19619"
                            }
                        },
                        "_embedded": {
                            "tags": [],
                            "companies": []
                        }
                    },
                    {
                        "id": 14460,
                        "name": "Сделка для примера 2",
                        "price": 655,
                        "responsible_user_id": 123321,
                        "group_id": 625,
                        "status_id": 142,
                        "pipeline_id": 1300,
                        "loss_reason_id": null,
                        "source_id": null,
                        "created_by": 321123,
                        "updated_by": 321123,
                        "created_at": 1453279607,
                        "updated_at": 1502193501,
                        "closed_at": 1483005931,
                        "closest_task_at": null,
                        "is_deleted": false,
                        "custom_fields_values": null,
                        "score": null,
                        "account_id": 1351360,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/14460"
                            }
                        },
                        "_embedded": {
                            "tags": [],
                            "companies": []
                        }
                    }
                ]
            }
        }
        """;

    // As printed, with a trailing comma in _embedded.tags[0] (parsed with trailing commas allowed).
    private const string LeadExample = """
        {
            "id": 3912171,
            "name": "Example",
            "price": 12,
            "responsible_user_id": 504141,
            "group_id": 0,
            "status_id": 143,
            "pipeline_id": 3104455,
            "loss_reason_id": 4203748,
            "source_id": null,
            "created_by": 504141,
            "updated_by": 504141,
            "created_at": 1585299171,
            "updated_at": 1590683337,
            "closed_at": 1590683337,
            "closest_task_at": null,
            "is_deleted": false,
            "custom_fields_values": null,
            "score": null,
            "account_id": 28805383,
            "is_price_modified_by_robot": false,
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/leads/3912171"
                }
            },
            "_embedded": {
                "tags": [
                    {
                        "id": 100667,
                        "name": "тест",
                        "color": null,
                    }
                ],
                "catalog_elements": [
                    {
                        "id": 525439,
                        "metadata": {
                            "quantity": 1,
                            "catalog_id": 4521
                        }
                    }
                ],
                "loss_reason": [
                    {
                        "id": 4203748,
                        "name": "Пропала потребность",
                        "sort": 100000,
                        "created_at": 1582117280,
                        "updated_at": 1582117280,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/loss_reasons/4203748"
                            }
                        }
                    }
                ],
                "companies": [
                    {
                        "id": 10971463,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/companies/10971463"
                            }
                        }
                    }
                ],
                "contacts": [
                    {
                        "id": 10971465,
                        "is_main": true,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/contacts/10971465"
                            }
                        }
                    }
                ],
                "source": {
                  "id": 1876532,
                  "name": "API"
                }
            }
        }
        """;

    private const string PipelinesExample = """
        {
            "_total_items": 1,
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/leads/pipelines"
                }
            },
            "_embedded": {
                "pipelines": [
                    {
                        "id": 3177727,
                        "name": "Воронка",
                        "sort": 1,
                        "is_main": true,
                        "is_unsorted_on": true,
                        "is_archive": false,
                        "account_id": 12345678,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/pipelines/3177727"
                            }
                        },
                        "_embedded": {
                            "statuses": [
                                {
                                    "id": 32392156,
                                    "name": "Неразобранное",
                                    "sort": 10,
                                    "is_editable": false,
                                    "pipeline_id": 3177727,
                                    "color": "#c1c1c1",
                                    "type": 1,
                                    "account_id": 12345678,
                                    "_links": {
                                        "self": {
                                            "href": "https://example.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/32392156"
                                        }
                                    }
                                },
                                {
                                    "id": 32392159,
                                    "name": "Первичный контакт",
                                    "sort": 20,
                                    "is_editable": true,
                                    "pipeline_id": 3177727,
                                    "color": "#99ccff",
                                    "type": 0,
                                    "account_id": 12345678,
                                    "_links": {
                                        "self": {
                                            "href": "https://example.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/32392159"
                                        }
                                    }
                                },
                                {
                                    "id": 32392165,
                                    "name": "Принимают решение",
                                    "sort": 30,
                                    "is_editable": true,
                                    "pipeline_id": 3177727,
                                    "color": "#ffcc66",
                                    "type": 0,
                                    "account_id": 12345678,
                                    "_links": {
                                        "self": {
                                            "href": "https://example.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/32392165"
                                        }
                                    }
                                },
                                {
                                    "id": 142,
                                    "name": "Успешно реализовано",
                                    "sort": 10000,
                                    "is_editable": false,
                                    "pipeline_id": 3177727,
                                    "color": "#CCFF66",
                                    "type": 0,
                                    "account_id": 12345678,
                                    "_links": {
                                        "self": {
                                            "href": "https://example.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/142"
                                        }
                                    }
                                },
                                {
                                    "id": 143,
                                    "name": "Закрыто и не реализовано",
                                    "sort": 11000,
                                    "is_editable": false,
                                    "pipeline_id": 3177727,
                                    "color": "#D5D8DB",
                                    "type": 0,
                                    "account_id": 12345678,
                                    "_links": {
                                        "self": {
                                            "href": "https://example.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/143"
                                        }
                                    }
                                }
                            ]
                        }
                    }
                ]
            }
        }
        """;

    private const string PipelineExample = """
        {
            "id": 3177727,
            "name": "Воронка",
            "sort": 1,
            "is_main": true,
            "is_unsorted_on": true,
            "is_archive": false,
            "account_id": 28847170,
            "_links": {
                "self": {
                    "href": "https://shard152.amocrm.ru/api/v4/leads/pipelines/3177727"
                }
            },
            "_embedded": {
                "statuses": [
                    {
                        "id": 32392156,
                        "name": "Неразобранное",
                        "sort": 10,
                        "is_editable": false,
                        "pipeline_id": 3177727,
                        "color": "#c1c1c1",
                        "type": 1,
                        "account_id": 28847170,
                        "_links": {
                            "self": {
                                "href": "https://shard152.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/32392156"
                            }
                        }
                    },
                    {
                        "id": 32392159,
                        "name": "Первичный контакт",
                        "sort": 20,
                        "is_editable": true,
                        "pipeline_id": 3177727,
                        "color": "#99ccff",
                        "type": 0,
                        "account_id": 28847170,
                        "_links": {
                            "self": {
                                "href": "https://shard152.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/32392159"
                            }
                        }
                    },
                    {
                        "id": 32392165,
                        "name": "Принимают решение",
                        "sort": 30,
                        "is_editable": true,
                        "pipeline_id": 3177727,
                        "color": "#ffcc66",
                        "type": 0,
                        "account_id": 28847170,
                        "_links": {
                            "self": {
                                "href": "https://shard152.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/32392165"
                            }
                        }
                    },
                    {
                        "id": 142,
                        "name": "Успешно реализовано",
                        "sort": 10000,
                        "is_editable": false,
                        "pipeline_id": 3177727,
                        "color": "#CCFF66",
                        "type": 0,
                        "account_id": 28847170,
                        "_links": {
                            "self": {
                                "href": "https://shard152.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/142"
                            }
                        }
                    },
                    {
                        "id": 143,
                        "name": "Закрыто и не реализовано",
                        "sort": 11000,
                        "is_editable": false,
                        "pipeline_id": 3177727,
                        "color": "#D5D8DB",
                        "type": 0,
                        "account_id": 28847170,
                        "_links": {
                            "self": {
                                "href": "https://shard152.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/143"
                            }
                        }
                    }
                ]
            }
        }
        """;

    private const string StatusesExample = """
        {
            "_total_items": 5,
            "_embedded": {
                "statuses": [
                    {
                        "id": 32392156,
                        "name": "Неразобранное",
                        "sort": 10,
                        "is_editable": false,
                        "pipeline_id": 3177727,
                        "color": "#c1c1c1",
                        "type": 1,
                        "account_id": 12345678,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/32392156"
                            }
                        },
                        "descriptions": []
                    },
                    {
                        "id": 32392159,
                        "name": "Первичный контакт",
                        "sort": 20,
                        "is_editable": true,
                        "pipeline_id": 3177727,
                        "color": "#99ccff",
                        "type": 0,
                        "account_id": 12345678,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/32392159"
                            }
                        },
                        "descriptions": [
                            {
                                "account_id": 12345678,
                                "created_at": "2023-05-05 09:38:00",
                                "created_by": 12345,
                                "description": "Описание статуса \"Первичный контакт\" для новичка",
                                "id": 489,
                                "level": "newbie",
                                "pipeline_id": 3177727,
                                "status_id": 32392159,
                                "updated_at": "2023-05-05 09:38:00",
                                "updated_by": null
                            },
                            {
                                "account_id": 12345678,
                                "created_at": "2023-05-05 09:38:00",
                                "created_by": 0,
                                "description": "Описание статуса \"Первичный контакт\" для кандидата",
                                "id": 491,
                                "level": "candidate",
                                "pipeline_id": 3177727,
                                "status_id": 32392159,
                                "updated_at": "2023-05-05 09:38:00",
                                "updated_by": 12345
                            },
                            {
                                "account_id": 12345678,
                                "created_at": "2023-05-05 09:38:00",
                                "created_by": 123456,
                                "description": "Описание статуса \"Первичный контакт\" для мастера",
                                "id": 493,
                                "level": "master",
                                "pipeline_id": 3177727,
                                "status_id": 32392159,
                                "updated_at": "2023-05-05 09:38:00",
                                "updated_by": 123457
                            }
                        ]
                    },
                    {
                        "id": 32392165,
                        "name": "Принимают решение",
                        "sort": 30,
                        "is_editable": true,
                        "pipeline_id": 3177727,
                        "color": "#ffcc66",
                        "type": 0,
                        "account_id": 12345678,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/32392165"
                            }
                        },
                        "descriptions": []
                    },
                    {
                        "id": 142,
                        "name": "Успешно реализовано",
                        "sort": 10000,
                        "is_editable": false,
                        "pipeline_id": 3177727,
                        "color": "#CCFF66",
                        "type": 0,
                        "account_id": 12345678,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/142"
                            }
                        },
                        "descriptions": []
                    },
                    {
                        "id": 143,
                        "name": "Закрыто и не реализовано",
                        "sort": 11000,
                        "is_editable": false,
                        "pipeline_id": 3177727,
                        "color": "#D5D8DB",
                        "type": 0,
                        "account_id": 12345678,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/143"
                            }
                        },
                        "descriptions": []
                    }
                ]
            }
        }
        """;

    private const string StatusExample = """
        {
            "id": 32392159,
            "name": "Первичный контакт",
            "sort": 20,
            "is_editable": true,
            "pipeline_id": 3177727,
            "color": "#99ccff",
            "type": 0,
            "account_id": 12345678,
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/leads/pipelines/3177727/statuses/32392159"
                }
            },
            "descriptions": [
                {
                    "account_id": 12345678,
                    "created_at": "2023-05-05 09:38:00",
                    "created_by": 12345,
                    "description": "Описание статуса \"Первичный контакт\" для новичка",
                    "id": 489,
                    "level": "newbie",
                    "pipeline_id": 3177727,
                    "status_id": 32392159,
                    "updated_at": "2023-05-05 09:38:00",
                    "updated_by": null
                },
                {
                    "account_id": 12345678,
                    "created_at": "2023-05-05 09:38:00",
                    "created_by": 12345,
                    "description": "Описание статуса \"Первичный контакт\" для кандидата",
                    "id": 491,
                    "level": "candidate",
                    "pipeline_id": 3177727,
                    "status_id": 32392159,
                    "updated_at": "2023-05-05 09:38:00",
                    "updated_by": 12345
                },
                {
                    "account_id": 12345678,
                    "created_at": "2023-05-05 09:38:00",
                    "created_by": 12345,
                    "description": "Описание статуса \"Первичный контакт\" для мастера",
                    "id": 493,
                    "level": "master",
                    "pipeline_id": 3177727,
                    "status_id": 32392159,
                    "updated_at": "2023-05-05 09:38:00",
                    "updated_by": 12345
                }
            ]
        }
        """;

    // Fixed: the docs lack the opening quote of _links.self.href.
    private const string EventsExample = """
        {
            "_page": 1,
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/events?limit=1&page=1"
                },
                "next": {
                    "href": "https://example.amocrm.ru/api/v4/events?limit=1&page=2"
                }
            },
            "_embedded": {
                "events": [
                    {
                        "id": "01pz58t6p04ymgsgfbmfyfy1mf",
                        "type": "lead_added",
                        "entity_id": 26060763,
                        "entity_type": "lead",
                        "created_by": 939801,
                        "created_at": 1888888888,
                        "value_after": [
                            {
                                "note": {
                                    "id": 42743871
                                }
                            }
                        ],
                        "value_before": [],
                        "account_id": 17079858,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/events/01pz58t6p04ymgsgfbmfyfy1mf"
                            }
                        },
                        "_embedded": {
                            "entity": {
                                "id": 26060763,
                                "_links": {
                                    "self": {
                                        "href": "https://example.amocrm.ru/api/v4/leads/26060763"
                                    }
                                }
                            }
                        }
                    }
                ]
            }
        }
        """;

    private const string EventExample = """
        {
            "id": "01pz58t6p04ymgsgfbmfyfy1mf",
            "type": "lead_added",
            "entity_id": 26060763,
            "entity_type": "lead",
            "created_by": 939801,
            "created_at": 1888888888,
            "value_after": [
                {
                    "note": {
                        "id": 42743871
                    }
                }
            ],
            "value_before": [],
            "account_id": 17079858,
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/events/01pz58t6p04ymgsgfbmfyfy1mf"
                }
            },
            "_embedded": {
                "entity": {
                    "id": 26060763,
                    "_links": {
                        "self": {
                            "href": "https://example.amocrm.ru/api/v4/leads/26060763"
                        }
                    }
                }
            }
        }
        """;

    private const string NotesByEntityTypeExample = """
        {
            "_page": 1,
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/leads/notes?filter%5Bid%5D%5B0%5D=42709325&filter%5Bid%5D%5B1%5D=42709842&page=1&limit=50"
                },
                "next": {
                    "href": "https://example.amocrm.ru/api/v4/leads/notes?filter%5Bid%5D%5B0%5D=42709325&filter%5Bid%5D%5B1%5D=42709842&page=2&limit=50"
                }
            },
            "_embedded": {
                "notes": [
                    {
                        "id": 42709325,
                        "entity_id": 26050861,
                        "created_by": 940088,
                        "updated_by": 940088,
                        "created_at": 1540407495,
                        "updated_at": 1540408317,
                        "responsible_user_id": 939801,
                        "group_id": 0,
                        "note_type": "common",
                        "params": {
                            "text": "Текст примечания"
                        },
                        "account_id": 17079858,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/26050861/notes/42709325"
                            }
                        }
                    },
                    {
                        "id": 42709842,
                        "entity_id": 26053794,
                        "created_by": 939801,
                        "updated_by": 939801,
                        "created_at": 1548280113,
                        "updated_at": 1548280115,
                        "responsible_user_id": 939801,
                        "group_id": 0,
                        "note_type": "attachment",
                        "params": {
                            "is_drive_attachment": true,
                            "text": "Снимок экрана 2022-12-12 в 20.11.45 (1).jpg",
                            "original_name": "Снимок экрана 2022-12-12 в 20.11.45 (1).jpg",
                            "file_uuid": "6905db7c-3a29-4d30-8953-bac68c05e8e8",
                            "version_uuid": "4e316440-4122-4cad-b121-9709882b4cc1",
                            "file_name": "Snimok_ekrana_2022-12-12_v_20.11.45_1_.jpg"
                        },
                        "account_id": 17079858,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/26053794/notes/42709842"
                            }
                        }
                    }
                ]
            }
        }
        """;

    private const string NotesOfEntityExample = """
        {
            "_page": 1,
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/leads/26050861/notes?limit=2&page=1"
                },
                "next": {
                    "href": "https://example.amocrm.ru/api/v4/leads/26050861/notes?limit=2&page=2"
                }
            },
            "_embedded": {
                "notes": [
                    {
                        "id": 42709325,
                        "entity_id": 26050861,
                        "created_by": 940088,
                        "updated_by": 940088,
                        "created_at": 1540407495,
                        "updated_at": 1540408317,
                        "responsible_user_id": 939801,
                        "group_id": 0,
                        "note_type": "common",
                        "params": {
                            "text": "Текст примечания 2"
                        },
                        "account_id": 17079858,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/26050861/notes/42709325"
                            }
                        }
                    },
                    {
                        "id": 42736075,
                        "entity_id": 26050861,
                        "created_by": 939801,
                        "updated_by": 939801,
                        "created_at": 1587555198,
                        "updated_at": 1587555199,
                        "responsible_user_id": 939801,
                        "group_id": 0,
                        "note_type": "common",
                        "params": {
                            "text": "Текст примечания"
                        },
                        "account_id": 17079858,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/26050861/notes/42736075"
                            }
                        }
                    }
                ]
            }
        }
        """;

    private const string NoteExample = """
        {
            "id": 42709325,
            "entity_id": 26050861,
            "created_by": 940088,
            "updated_by": 940088,
            "created_at": 1540407495,
            "updated_at": 1540408317,
            "responsible_user_id": 939801,
            "group_id": 0,
            "note_type": "common",
            "params": {
                "text": "Текст примечания"
            },
            "account_id": 17079858,
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/leads/26050861/notes/42709325"
                }
            }
        }
        """;

    private const string ContactsExample = """
        {
            "_page": 1,
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/contacts?limit=2&page=1"
                },
                "next": {
                    "href": "https://example.amocrm.ru/api/v4/contacts?limit=2&page=2"
                }
            },
            "_embedded": {
                "contacts": [
                    {
                        "id": 7143599,
                        "name": "1",
                        "first_name": "",
                        "last_name": "",
                        "responsible_user_id": 504141,
                        "group_id": 0,
                        "created_by": 504141,
                        "updated_by": 504141,
                        "created_at": 1585758065,
                        "updated_at": 1585758065,
                        "closest_task_at": null,
                        "custom_fields_values": null,
                        "account_id": 28805383,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/contacts/7143599"
                            }
                        },
                        "_embedded": {
                            "tags": [],
                            "companies": []
                        }
                    },
                    {
                        "id": 7767065,
                        "name": "dsgdsg",
                        "first_name": "",
                        "last_name": "",
                        "responsible_user_id": 504141,
                        "group_id": 0,
                        "created_by": 504141,
                        "updated_by": 504141,
                        "created_at": 1586359590,
                        "updated_at": 1586359590,
                        "closest_task_at": null,
                        "custom_fields_values": null,
                        "account_id": 28805383,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/contacts/7767065"
                            }
                        },
                        "_embedded": {
                            "tags": [],
                            "companies": []
                        }
                    }
                ]
            }
        }
        """;

    private const string ContactExample = """
        {
            "id": 3,
            "name": "Иван Иванов",
            "first_name": "Иван",
            "last_name": "Иванов",
            "responsible_user_id": 504141,
            "group_id": 0,
            "created_by": 504141,
            "updated_by": 504141,
            "created_at": 1582117331,
            "updated_at": 1590943929,
            "closest_task_at": null,
            "custom_fields_values": [
                {
                    "field_id": 3,
                    "field_name": "Телефон",
                    "field_code": "PHONE",
                    "field_type": "multitext",
                    "values": [
                        {
                            "value": "+79123",
                            "enum_id": 1,
                            "enum": "WORK"
                        }
                    ]
                }
            ],
            "account_id": 28805383,
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/contacts/3"
                }
            },
            "_embedded": {
                "tags": [],
                "leads": [
                    {
                        "id": 1,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/1"
                            }
                        }
                    },
                    {
                        "id": 3916883,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/3916883"
                            }
                        }
                    }
                ],
                "customers": [
                    {
                        "id": 134923,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/customers/134923"
                            }
                        }
                    }
                ],
                "catalog_elements": [],
                "companies": [
                    {
                        "id": 1,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/companies/1"
                            }
                        }
                    }
                ]
            }
        }
        """;

    private const string CompaniesExample = """
        {
            "_page": 1,
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/companies?limit=2&page=1"
                },
                "next": {
                    "href": "https://example.amocrm.ru/api/v4/companies?limit=2&page=2"
                }
            },
            "_embedded": {
                "companies": [
                    {
                        "id": 7767077,
                        "name": "Компания Васи",
                        "responsible_user_id": 504141,
                        "group_id": 0,
                        "created_by": 504141,
                        "updated_by": 504141,
                        "created_at": 1586359618,
                        "updated_at": 1586359618,
                        "closest_task_at": null,
                        "custom_fields_values": null,
                        "account_id": 28805383,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/companies/7767077"
                            }
                        },
                        "_embedded": {
                            "tags": []
                        }
                    },
                    {
                        "id": 7767457,
                        "name": "Example",
                        "responsible_user_id": 504141,
                        "group_id": 0,
                        "created_by": 504141,
                        "updated_by": 504141,
                        "created_at": 1586360394,
                        "updated_at": 1586360394,
                        "closest_task_at": null,
                        "custom_fields_values": null,
                        "account_id": 28805383,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/companies/7767457"
                            }
                        },
                        "_embedded": {
                            "tags": []
                        }
                    }
                ]
            }
        }
        """;

    private const string CompanyExample = """
        {
            "id": 1,
            "name": "АО Рога и копыта",
            "responsible_user_id": 504141,
            "group_id": 0,
            "created_by": 504141,
            "updated_by": 504141,
            "created_at": 1582117331,
            "updated_at": 1586361223,
            "closest_task_at": null,
            "custom_fields_values": [
                {
                    "field_id": 3,
                    "field_name": "Телефон",
                    "field_code": "PHONE",
                    "field_type": "multitext",
                    "values": [
                        {
                            "value": "123213",
                            "enum_id": 1,
                            "enum": "WORK"
                        }
                    ]
                }
            ],
            "account_id": 28805383,
            "_links": {
                "self": {
                    "href": "https://exmaple.amocrm.ru/api/v4/companies/1"
                }
            },
            "_embedded": {
                "tags": []
            }
        }
        """;

    private const string UsersExample = """
        {
          "_total_items": 2,
          "_page": 1,
          "_page_count": 1,
          "_links": {
            "self": {
              "href": "https://example.amocrm.ru/api/v4/users/?with=role%2Cgroup"
            }
          },
          "_embedded": {
            "users": [
              {
                "id": 123123,
                "name": "Пользователь для примера 2",
                "email": "example2@mail.com",
                "lang": "en",
                "rights": {
                  "leads": {
                    "view": "A",
                    "edit": "A",
                    "add": "A",
                    "delete": "A",
                    "export": "A"
                  },
                  "contacts": {
                    "view": "A",
                    "edit": "A",
                    "add": "A",
                    "delete": "A",
                    "export": "A"
                  },
                  "companies": {
                    "view": "A",
                    "edit": "A",
                    "add": "A",
                    "delete": "A",
                    "export": "A"
                  },
                  "tasks": {
                    "edit": "A",
                    "delete": "A"
                  },
                  "mail_access": false,
                  "catalog_access": false,
                  "status_rights": [
                    {
                      "entity_type": "leads",
                      "pipeline_id": 2194576,
                      "status_id": 30846277,
                      "rights": {
                        "view": "A",
                        "edit": "A",
                        "delete": "A"
                      }
                    },
                    {
                      "entity_type": "leads",
                      "pipeline_id": 2212201,
                      "status_id": 30965377,
                      "rights": {
                        "view": "A",
                        "edit": "A",
                        "delete": "A"
                      }
                    }
                  ],
                  "is_admin": false,
                  "is_free": false,
                  "is_active": true,
                  "group_id": null,
                  "role_id": null
                },
                "_links": {
                  "self": {
                    "href": "https://example.amocrm.ru/api/v4/users/123123/"
                  }
                },
                "_embedded": {
                  "roles": [
                    {
                      "id": 3141,
                      "name": "Менеджер",
                      "_links": {
                        "self": {
                          "href": "https://example.amocrm.ru/api/v4/roles/3141"
                        }
                      }
                    }
                  ],
                  "groups": [
                    {
                      "id": 267688,
                      "name": "Менеджеры"
                    }
                  ]
                }
              },
              {
                "id": 321321,
                "name": "Пользователь для примера 2",
                "email": "example2@mail.com",
                "lang": "ru",
                "rights": {
                  "leads": {
                    "view": "A",
                    "edit": "A",
                    "add": "G",
                    "delete": "D",
                    "export": "M"
                  },
                  "contacts": {
                    "view": "A",
                    "edit": "A",
                    "add": "G",
                    "delete": "M",
                    "export": "D"
                  },
                  "companies": {
                    "view": "A",
                    "edit": "G",
                    "add": "G",
                    "delete": "D",
                    "export": "D"
                  },
                  "tasks": {
                    "edit": "A",
                    "delete": "A"
                  },
                  "mail_access": true,
                  "catalog_access": true,
                  "status_rights": null,
                  "is_admin": true,
                  "is_free": false,
                  "is_active": true,
                  "group_id": null,
                  "role_id": null
                },
                "_links": {
                  "self": {
                    "href": "https://example.amocrm.ru/api/v4/users/321321"
                  }
                },
                "_embedded": {
                  "roles": [],
                  "groups": []
                }
              }
            ]
          }
        }
        """;

    private const string UserExample = """
        {
          "id": 185848,
          "name": "Алексей Поимцев",
          "email": "test@example.com",
          "lang": "ru",
          "rights": {
            "leads": {
              "view": "M",
              "edit": "M",
              "add": "D",
              "delete": "M",
              "export": "M"
            },
            "contacts": {
              "view": "M",
              "edit": "M",
              "add": "D",
              "delete": "M",
              "export": "M"
            },
            "companies": {
              "view": "M",
              "edit": "M",
              "add": "D",
              "delete": "M",
              "export": "M"
            },
            "tasks": {
              "edit": "A",
              "delete": "A"
            },
            "mail_access": false,
            "catalog_access": true,
            "status_rights": [
              {
                "entity_type": "leads",
                "pipeline_id": 3166396,
                "status_id": 142,
                "rights": {
                  "view": "D",
                  "edit": "D",
                  "delete": "D",
                  "export": "D"
                }
              },
              {
                "entity_type": "leads",
                "pipeline_id": 3166396,
                "status_id": 32311027,
                "rights": {
                  "view": "D",
                  "edit": "D",
                  "delete": "D"
                }
              },
              {
                "entity_type": "leads",
                "pipeline_id": 3104455,
                "status_id": 31881115,
                "rights": {
                  "view": "D",
                  "edit": "D",
                  "delete": "D"
                }
              }
            ],
            "is_admin": false,
            "is_free": false,
            "is_active": true,
            "group_id": null,
            "role_id": null
          },
          "_links": {
            "self": {
              "href": "https://example.amocrm.ru/api/v4/users/185848"
            }
          }
        }
        """;

    private const string TasksExample = """
        {
            "_page": 1,
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/tasks?filter[task_type][]=2&filter[is_completed][]=1&limit=2&page=1"
                },
                "next": {
                    "href": "https://example.amocrm.ru/api/v4/tasks?filter[task_type][]=2&filter[is_completed][]=1&limit=2&page=2"
                }
            },
            "_embedded": {
                "tasks": [
                    {
                        "id": 7087,
                        "created_by": 3987910,
                        "updated_by": 3987910,
                        "created_at": 1575364000,
                        "updated_at": 1575364851,
                        "responsible_user_id": 123123,
                        "group_id": 0,
                        "entity_id": 167353,
                        "entity_type": "leads",
                        "duration": 0,
                        "is_completed": true,
                        "task_type_id": 2,
                        "text": "Пригласить на бесплатную тренировку",
                        "result": [],
                        "complete_till": 1575665940,
                        "account_id": 321321,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/tasks/7087"
                            }
                        }
                    },
                    {
                        "id": 215089,
                        "created_by": 0,
                        "updated_by": 3987910,
                        "created_at": 1576767879,
                        "updated_at": 1576767914,
                        "responsible_user_id": 123123,
                        "group_id": 0,
                        "entity_id": 1035487,
                        "entity_type": "leads",
                        "duration": 0,
                        "is_completed": true,
                        "task_type_id": 2,
                        "text": "Назначить встречу с клиентом",
                        "result": [],
                        "complete_till": 1576768179,
                        "account_id": 321312,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/tasks/215089"
                            }
                        }
                    }
                ]
            }
        }
        """;

    private const string TaskExample = """
        {
            "id": 56981,
            "created_by": 54224,
            "updated_by": 3987910,
            "created_at": 1575910123,
            "updated_at": 1576767989,
            "responsible_user_id": 123123,
            "group_id": 0,
            "entity_id": 180765,
            "entity_type": "leads",
            "duration": 0,
            "is_completed": true,
            "task_type_id": 2,
            "text": "Назначить встречу с клиентом",
            "result": {
                "text": "Результат есть"
            },
            "complete_till": 1575910423,
            "account_id": 321312,
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/tasks/56981"
                }
            }
        }
        """;

    private const string CustomFieldsExample = """
        {
            "_total_items": 2,
            "_page": 1,
            "_page_count": 10,
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/leads/custom_fields?limit=2&page=1"
                },
                "next": {
                    "href": "https://example.amocrm.ru/api/v4/leads/custom_fields?limit=2&page=2"
                },
                "last": {
                    "href": "https://example.amocrm.ru/api/v4/leads/custom_fields?limit=2&page=10"
                }
            },
            "_embedded": {
                "custom_fields": [
                    {
                        "id": 4439091,
                        "name": "Пример текстового поля",
                        "sort": 504,
                        "type": "text",
                        "is_predefined": false,
                        "settings": null,
                        "remind": null,
                        "is_api_only": false,
                        "group_id": null,
                        "enums": null,
                        "required_statuses": [
                            {
                                "status_id": 41221,
                                "pipeline_id": 3142
                            }
                        ],
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/custom_fields/4439091/"
                            }
                        }
                    },
                    {
                        "id": 4440043,
                        "name": "Пример поля с типом 'data'",
                        "sort": 505,
                        "type": "date",
                        "is_predefined": false,
                        "settings": null,
                        "remind": null,
                        "is_api_only": false,
                        "group_id": null,
                        "enums": null,
                        "required_statuses": null,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/custom_fields/4440043/"
                            }
                        }
                    }
                ]
            }
        }
        """;

    private const string CustomFieldExample = """
        {
            "id": 3,
            "name": "Телефон",
            "type": "multitext",
            "account_id": 28805383,
            "code": "PHONE",
            "sort": 4,
            "is_api_only": false,
            "enums": [
                {
                    "id": 1,
                    "value": "WORK",
                    "sort": 2
                },
                {
                    "id": 3,
                    "value": "WORKDD",
                    "sort": 4
                },
                {
                    "id": 5,
                    "value": "MOB",
                    "sort": 6
                },
                {
                    "id": 7,
                    "value": "FAX",
                    "sort": 8
                },
                {
                    "id": 9,
                    "value": "HOME",
                    "sort": 10
                },
                {
                    "id": 11,
                    "value": "OTHER",
                    "sort": 12
                }
            ],
            "group_id": null,
            "required_statuses": [],
            "is_deletable": false,
            "is_predefined": true,
            "entity_type": "contacts",
            "remind": null,
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/contacts/custom_fields/3"
                }
            }
        }
        """;

    // Fixed: the docs lack the comma after drive_url.
    private const string AccountExample = """
        {
            "id": 1231414,
            "name": "example",
            "subdomain": "example",
            "current_user_id": 581651,
            "country": "RU",
            "customers_mode": "segments",
            "is_unsorted_on": true,
            "is_loss_reason_enabled": true,
            "is_helpbot_enabled": false,
            "is_technical_account": false,
            "is_api_filter_enabled": true,
            "contact_name_display_order": 1,
            "amojo_id": "f3c6340d-410e-4ad1-9f7e-c5e663599909",
            "uuid": "824f3a59-6154-4edf-ba90-0b5593715d07",
            "drive_url": "https://drive-b.amocrm.ru",
            "version": 16,
            "entity_names": {
                "leads": {
                    "ru": {
                        "gender": "m",
                        "plural_form": {
                            "dative": "клиентам",
                            "default": "клиенты",
                            "genitive": "клиентов",
                            "accusative": "клиентов",
                            "instrumental": "клиентами",
                            "prepositional": "клиентах"
                        },
                        "singular_form": {
                            "dative": "клиенту",
                            "default": "клиент",
                            "genitive": "клиента",
                            "accusative": "клиента",
                            "instrumental": "клиентом",
                            "prepositional": "клиенте"
                        }
                    },
                    "en": {
                        "singular_form": {
                            "default": "lead"
                        },
                        "plural_form": {
                            "default": "leads"
                        },
                        "gender": "f"
                    },
                    "es": {
                        "singular_form": {
                            "default": "acuerdo"
                        },
                        "plural_form": {
                            "default": "acuerdos"
                        },
                        "gender": "m"
                    }
                }
            },
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/account"
                }
            },
            "_embedded": {
                "amojo_rights": {
                    "can_direct": true,
                    "can_create_groups": true
                },
                "users_groups": [
                    {
                        "id": 0,
                        "name": "Отдел продаж",
                        "uuid": null
                    }
                ],
                "task_types": [
                    {
                        "id": 1,
                        "name": "Связаться",
                        "color": null,
                        "icon_id": null,
                        "code": "FOLLOW_UP"
                    },
                    {
                        "id": 2,
                        "name": "Встреча",
                        "color": null,
                        "icon_id": null,
                        "code": "MEETING"
                    }
                ],
                "datetime_settings": {
                    "date_pattern": "d.m.Y H:i",
                    "short_date_pattern": "d.m.Y",
                    "short_time_pattern": "H:i",
                    "date_formant": "d.m.Y",
                    "time_format": "H:i:s",
                    "timezone": "Europe/Moscow",
                    "timezone_offset": "+03:00"
                }
            }
        }
        """;

    private const string TokenByCodeExample = """
        {
          "token_type": "Bearer",
          "expires_in": 86400,
          "server_time": 1751621727,
          "access_token": "xxxxxx",
          "refresh_token": "xxxxx"
        }
        """;

    private const string TokenByRefreshExample = """
        {
          "token_type": "Bearer",
          "expires_in": 86400,
          "server_time": 1751621727,
          "access_token": "xxxxxx",
          "refresh_token": "xxxxx"
        }
        """;

    private const string ValidationErrorExample = """
        {
            "validation-errors": [
                {
                    "request_id": "0",
                    "errors": [
                        {
                            "code": "NotSupportedChoice",
                            "path": "custom_fields_values.0.field_id",
                            "detail": "The value you selected is not a valid choice."
                        }
                    ]
                }
            ],
            "title": "Bad Request",
            "type": "https://httpstatus.es/400",
            "status": 400,
            "detail": "Request validation failed"
        }
        """;

    private const string ContactsAddedExample = """
        {
          "_links": {
            "self": {
              "href": "https://example.amocrm.ru/api/v4/contacts"
            }
          },
          "_embedded": {
            "contacts": [
              {
                "id": 40401635,
                "request_id": "0",
                "_links": {
                  "self": {
                    "href": "https://example.amocrm.ru/api/v4/contacts/40401635"
                  }
                }
              },
              {
                "id": 40401636,
                "request_id": "1",
                "_links": {
                  "self": {
                    "href": "https://example.amocrm.ru/api/v4/contacts/40401636"
                  }
                }
              }
            ]
          }
        }
        """;

    private const string ContactsUpdatedExample = """
        {
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/contacts"
                }
            },
            "_embedded": {
                "contacts": [
                    {
                        "id": 3,
                        "name": "Иван Иванов",
                        "updated_at": 1590945248,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/contacts/3"
                            }
                        }
                    }
                ]
            }
        }
        """;

    private const string CompaniesAddedExample = """
        {
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/companies"
                }
            },
            "_embedded": {
                "companies": [
                    {
                        "id": 11090825,
                        "request_id": "0",
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/companies/11090825"
                            }
                        }
                    }
                ]
            }
        }
        """;

    private const string CompaniesUpdatedExample = """
        {
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/companies"
                }
            },
            "_embedded": {
                "companies": [
                    {
                        "id": 11090825,
                        "name": "Новое название компании",
                        "updated_at": 1590998669,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/companies/11090825"
                            }
                        }
                    }
                ]
            }
        }
        """;

    private const string LeadsAddedExample = """
        {
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/leads"
                }
            },
            "_embedded": {
                "leads": [
                    {
                        "id": 10185151,
                        "request_id": "0",
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/10185151"
                            }
                        }
                    },
                    {
                        "id": 10185153,
                        "request_id": "1",
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/10185153"
                            }
                        }
                    }
                ]
            }
        }
        """;

    private const string LeadsComplexExample = """
        [
           {
              "id":15198335,
              "contact_id":19663157,
              "company_id":19663155,
              "request_id":[
                 "qweasd"
              ],
              "merged":false
           },
           {
              "id":15198337,
              "contact_id":19663161,
              "company_id":19663159,
              "request_id":[
                 "uns_qweasd"
              ],
              "merged":false
           }
        ]
        """;

    private const string LeadsUpdatedExample = """
        {
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/leads"
                }
            },
            "_embedded": {
                "leads": [
                    {
                        "id": 54886,
                        "updated_at": 1589556420,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/54886"
                            }
                        }
                    },
                    {
                        "id": 54884,
                        "updated_at": 1589556420,
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/54884"
                            }
                        }
                    }
                ]
            }
        }
        """;

    private const string TasksAddedExample = """
        {
            "_links": {
                "self": {
                    "href": "https://example.amocrm.ru/api/v4/tasks"
                }
            },
            "_embedded": {
                "tasks": [
                    {
                        "id": 4745251,
                        "request_id": "example",
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/tasks/4745251"
                            }
                        }
                    }
                ]
            }
        }
        """;

    private const string NotesAddedExample = """
        {
            "_links": {
                "self": {
                    "href": "http://example.amocrm.ru/api/v4/leads/notes"
                }
            },
            "_embedded": {
                "notes": [
                    {
                        "id": 76787983,
                        "entity_id": 167353,
                        "request_id": "0",
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/167353/notes/76787983"
                            }
                        }
                    },
                    {
                        "id": 76787985,
                        "entity_id": 167353,
                        "request_id": "1",
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/167353/notes/76787985"
                            }
                        }
                    },
                    {
                        "id": 76787987,
                        "entity_id": 167353,
                        "request_id": "2",
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/167353/notes/76787987"
                            }
                        }
                    },
                    {
                        "id": 76787989,
                        "entity_id": 167353,
                        "request_id": "3",
                        "_links": {
                            "self": {
                                "href": "https://example.amocrm.ru/api/v4/leads/167353/notes/76787989"
                            }
                        }
                    }
                ]
            }
        }
        """;
}
