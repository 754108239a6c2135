
/tmp/s18/code.bin:     file format binary


Disassembly of section .data:

00007f4747f10590 <.data>:
    7f4747f10590:	89 84 24 00 c0 fe ff 	mov    DWORD PTR [rsp-0x14000],eax
    7f4747f10597:	55                   	push   rbp
    7f4747f10598:	48 83 ec 30          	sub    rsp,0x30
    7f4747f1059c:	41 81 7f 20 01 00 00 	cmp    DWORD PTR [r15+0x20],0x1
    7f4747f105a3:	00 
    7f4747f105a4:	0f 85 dc 01 00 00    	jne    0x7f4747f10786
    7f4747f105aa:	44 8b 4e 18          	mov    r9d,DWORD PTR [rsi+0x18]
    7f4747f105ae:	43 8b 7c cc 0c       	mov    edi,DWORD PTR [r12+r9*8+0xc]
    7f4747f105b3:	33 ed                	xor    ebp,ebp
    7f4747f105b5:	85 ff                	test   edi,edi
    7f4747f105b7:	0f 86 5b 01 00 00    	jbe    0x7f4747f10718
    7f4747f105bd:	44 8d 5f ff          	lea    r11d,[rdi-0x1]
    7f4747f105c1:	44 3b df             	cmp    r11d,edi
    7f4747f105c4:	0f 83 52 01 00 00    	jae    0x7f4747f1071c
    7f4747f105ca:	47 8b 54 cc 10       	mov    r10d,DWORD PTR [r12+r9*8+0x10]
    7f4747f105cf:	43 8b 54 d4 0c       	mov    edx,DWORD PTR [r12+r10*8+0xc]
    7f4747f105d4:	85 d2                	test   edx,edx
    7f4747f105d6:	0f 8d 5c 01 00 00    	jge    0x7f4747f10738
    7f4747f105dc:	4b 8d 34 cc          	lea    rsi,[r12+r9*8]
    7f4747f105e0:	44 8d 57 fd          	lea    r10d,[rdi-0x3]
    7f4747f105e4:	41 bd 01 00 00 00    	mov    r13d,0x1
    7f4747f105ea:	41 83 fa 01          	cmp    r10d,0x1
    7f4747f105ee:	0f 8e 97 00 00 00    	jle    0x7f4747f1068b
    7f4747f105f4:	41 b8 a0 0f 00 00    	mov    r8d,0xfa0
    7f4747f105fa:	eb 6b                	jmp    0x7f4747f10667
    7f4747f105fc:	0f 1f 40 00          	nop    DWORD PTR [rax+0x0]
    7f4747f10600:	44 8b e8             	mov    r13d,eax
    7f4747f10603:	42 8b 5c ae 10       	mov    ebx,DWORD PTR [rsi+r13*4+0x10]
    7f4747f10608:	41 8b 54 dc 0c       	mov    edx,DWORD PTR [r12+rbx*8+0xc]
    7f4747f1060d:	85 d2                	test   edx,edx
    7f4747f1060f:	0f 8d c9 00 00 00    	jge    0x7f4747f106de
    7f4747f10615:	42 8b 4c ae 14       	mov    ecx,DWORD PTR [rsi+r13*4+0x14]
    7f4747f1061a:	41 8b 54 cc 0c       	mov    edx,DWORD PTR [r12+rcx*8+0xc]
    7f4747f1061f:	85 d2                	test   edx,edx
    7f4747f10621:	0f 8d a4 00 00 00    	jge    0x7f4747f106cb
    7f4747f10627:	42 8b 4c ae 18       	mov    ecx,DWORD PTR [rsi+r13*4+0x18]
    7f4747f1062c:	41 8b 54 cc 0c       	mov    edx,DWORD PTR [r12+rcx*8+0xc]
    7f4747f10631:	85 d2                	test   edx,edx
    7f4747f10633:	0f 8d ab 00 00 00    	jge    0x7f4747f106e4
    7f4747f10639:	42 8b 4c ae 1c       	mov    ecx,DWORD PTR [rsi+r13*4+0x1c]
    7f4747f1063e:	41 8b 54 cc 0c       	mov    edx,DWORD PTR [r12+rcx*8+0xc]
    7f4747f10643:	85 d2                	test   edx,edx
    7f4747f10645:	0f 8d 86 00 00 00    	jge    0x7f4747f106d1
    7f4747f1064b:	41 8d 45 04          	lea    eax,[r13+0x4]
    7f4747f1064f:	41 3b c3             	cmp    eax,r11d
    7f4747f10652:	7c ac                	jl     0x7f4747f10600
    7f4747f10654:	4d 8b 5f 30          	mov    r11,QWORD PTR [r15+0x30]
    7f4747f10658:	41 83 c5 04          	add    r13d,0x4
    7f4747f1065c:	41 85 03             	test   DWORD PTR [r11],eax
    7f4747f1065f:	41 3b c2             	cmp    eax,r10d
    7f4747f10662:	7d 2c                	jge    0x7f4747f10690
    7f4747f10664:	44 8b e8             	mov    r13d,eax
    7f4747f10667:	44 8b df             	mov    r11d,edi
    7f4747f1066a:	45 2b dd             	sub    r11d,r13d
    7f4747f1066d:	41 83 c3 fd          	add    r11d,0xfffffffd
    7f4747f10671:	45 3b d5             	cmp    r10d,r13d
    7f4747f10674:	44 0f 4c dd          	cmovl  r11d,ebp
    7f4747f10678:	41 81 fb a0 0f 00 00 	cmp    r11d,0xfa0
    7f4747f1067f:	45 0f 47 d8          	cmova  r11d,r8d
    7f4747f10683:	45 03 dd             	add    r11d,r13d
    7f4747f10686:	e9 78 ff ff ff       	jmp    0x7f4747f10603
    7f4747f1068b:	b8 01 00 00 00       	mov    eax,0x1
    7f4747f10690:	3b c7                	cmp    eax,edi
    7f4747f10692:	7d 24                	jge    0x7f4747f106b8
    7f4747f10694:	44 8b 5c 86 10       	mov    r11d,DWORD PTR [rsi+rax*4+0x10]
    7f4747f10699:	43 8b 54 dc 0c       	mov    edx,DWORD PTR [r12+r11*8+0xc]
    7f4747f1069e:	85 d2                	test   edx,edx
    7f4747f106a0:	0f 8d 9b 00 00 00    	jge    0x7f4747f10741
    7f4747f106a6:	44 8d 58 01          	lea    r11d,[rax+0x1]
    7f4747f106aa:	44 3b df             	cmp    r11d,edi
    7f4747f106ad:	7d 05                	jge    0x7f4747f106b4
    7f4747f106af:	41 8b c3             	mov    eax,r11d
    7f4747f106b2:	eb e0                	jmp    0x7f4747f10694
    7f4747f106b4:	ff c0                	inc    eax
    7f4747f106b6:	eb 03                	jmp    0x7f4747f106bb
    7f4747f106b8:	41 8b c5             	mov    eax,r13d
    7f4747f106bb:	48 83 c4 30          	add    rsp,0x30
    7f4747f106bf:	5d                   	pop    rbp
    7f4747f106c0:	49 3b 67 28          	cmp    rsp,QWORD PTR [r15+0x28]
    7f4747f106c4:	0f 87 a6 00 00 00    	ja     0x7f4747f10770
    7f4747f106ca:	c3                   	ret
    7f4747f106cb:	4d 8d 14 cc          	lea    r10,[r12+rcx*8]
    7f4747f106cf:	eb 08                	jmp    0x7f4747f106d9
    7f4747f106d1:	4d 8d 14 cc          	lea    r10,[r12+rcx*8]
    7f4747f106d5:	41 83 c5 02          	add    r13d,0x2
    7f4747f106d9:	41 ff c5             	inc    r13d
    7f4747f106dc:	eb 0e                	jmp    0x7f4747f106ec
    7f4747f106de:	4d 8d 14 dc          	lea    r10,[r12+rbx*8]
    7f4747f106e2:	eb 08                	jmp    0x7f4747f106ec
    7f4747f106e4:	4d 8d 14 cc          	lea    r10,[r12+rcx*8]
    7f4747f106e8:	41 83 c5 02          	add    r13d,0x2
    7f4747f106ec:	41 8b ed             	mov    ebp,r13d
    7f4747f106ef:	be 45 ff ff ff       	mov    esi,0xffffff45
    7f4747f106f4:	89 3c 24             	mov    DWORD PTR [rsp],edi
    7f4747f106f7:	44 89 6c 24 04       	mov    DWORD PTR [rsp+0x4],r13d
    7f4747f106fc:	89 54 24 08          	mov    DWORD PTR [rsp+0x8],edx
    7f4747f10700:	44 89 4c 24 0c       	mov    DWORD PTR [rsp+0xc],r9d
    7f4747f10705:	4c 89 54 24 10       	mov    QWORD PTR [rsp+0x10],r10
    7f4747f1070a:	90                   	nop
    7f4747f1070b:	e8 50 6c b5 ff       	call   0x7f4747a67360
    7f4747f10710:	0f 1f 84 00 88 02 00 	nop    DWORD PTR [rax+rax*1+0x1000288]
    7f4747f10717:	01 
    7f4747f10718:	33 c0                	xor    eax,eax
    7f4747f1071a:	eb 9f                	jmp    0x7f4747f106bb
    7f4747f1071c:	be 6e ff ff ff       	mov    esi,0xffffff6e
    7f4747f10721:	89 3c 24             	mov    DWORD PTR [rsp],edi
    7f4747f10724:	44 89 4c 24 04       	mov    DWORD PTR [rsp+0x4],r9d
    7f4747f10729:	66 90                	xchg   ax,ax
    7f4747f1072b:	e8 30 6c b5 ff       	call   0x7f4747a67360
    7f4747f10730:	0f 1f 84 00 a8 02 00 	nop    DWORD PTR [rax+rax*1+0x20002a8]
    7f4747f10737:	02 
    7f4747f10738:	49 c1 e2 03          	shl    r10,0x3
    7f4747f1073c:	45 33 ed             	xor    r13d,r13d
    7f4747f1073f:	eb ab                	jmp    0x7f4747f106ec
    7f4747f10741:	4f 8d 14 dc          	lea    r10,[r12+r11*8]
    7f4747f10745:	44 8b e8             	mov    r13d,eax
    7f4747f10748:	eb a2                	jmp    0x7f4747f106ec
    7f4747f1074a:	be f6 ff ff ff       	mov    esi,0xfffffff6
    7f4747f1074f:	e8 0c 6c b5 ff       	call   0x7f4747a67360
    7f4747f10754:	0f 1f 84 00 cc 02 00 	nop    DWORD PTR [rax+rax*1+0x30002cc]
    7f4747f1075b:	03 
    7f4747f1075c:	be f6 ff ff ff       	mov    esi,0xfffffff6
    7f4747f10761:	66 90                	xchg   ax,ax
    7f4747f10763:	e8 f8 6b b5 ff       	call   0x7f4747a67360
    7f4747f10768:	0f 1f 84 00 e0 02 00 	nop    DWORD PTR [rax+rax*1+0x40002e0]
    7f4747f1076f:	04 
    7f4747f10770:	49 ba c0 06 f1 47 47 	movabs r10,0x7f4747f106c0
    7f4747f10777:	7f 00 00 
    7f4747f1077a:	4d 89 97 38 05 00 00 	mov    QWORD PTR [r15+0x538],r10
    7f4747f10781:	e9 da 93 a7 ff       	jmp    0x7f4747989b60
    7f4747f10786:	e8 35 fe a5 ff       	call   0x7f47479705c0
    7f4747f1078b:	e9 1a fe ff ff       	jmp    0x7f4747f105aa

